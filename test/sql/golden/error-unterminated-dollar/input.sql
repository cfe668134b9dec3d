SELECT 1;
SELECT $body$ abc $Body$;

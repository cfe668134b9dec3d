SELECT 1;
\connect other_db
SELECT 2;

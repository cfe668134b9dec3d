PREPARE p (int, text) AS SELECT $1, $2::text WHERE $1 > 0;
SELECT $12;

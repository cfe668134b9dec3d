CREATE TABLE "semi;colon" ("a""b;" int, "-- no" text, "/* no */" text);
SELECT "x;y" FROM "semi;colon";
SELECT 1 AS "BEGIN; COMMIT;";

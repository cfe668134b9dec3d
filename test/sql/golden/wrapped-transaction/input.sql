-- golang-migrate style
BEGIN;
CREATE TABLE t (a int);
INSERT INTO t VALUES (1);
COMMIT;
-- end

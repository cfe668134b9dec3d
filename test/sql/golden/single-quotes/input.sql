SELECT 'it''s; fine', '';
SELECT 'a\';
SELECT '--not a comment', '/* nor this */';
INSERT INTO t (s) VALUES ('multi
line; string');

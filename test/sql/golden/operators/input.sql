SELECT 1 +-2, 3 - -4, 'a' || 'b', x::int, a @> b, 5 <> 6 FROM t;
SELECT 1--2
;
SELECT 2*/**/3;
SELECT c ->> 'k;' FROM t;
SELECT 2 +--glued comment after an operator
 3;
SELECT 4 ---the first dash starts the comment
;
SELECT 5 ?- 6, 7 =- 8;

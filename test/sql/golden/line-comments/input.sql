-- leading; comment
SELECT 1 -- trailing; comment
;
SELECT 2 -- $$ not a dollar quote
, 3; -- ' not a string
SELECT 4 -- /* not a block comment
;
SELECT 5--no space needed
;

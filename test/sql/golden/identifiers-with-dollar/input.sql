SELECT foo$bar$ FROM t;
SELECT a$1, b$$c FROM t;
SELECT x FROM t WHERE foo$bar$ = 1;

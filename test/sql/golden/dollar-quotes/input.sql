SELECT $$a; b$$;
SELECT $tag$ it's; "quoted" $$ not the end $tag$;
SELECT $a$ outer $b$ inner; $b$ still outer; $a$;
SELECT $Tag$ case $tag$ matters; $Tag$;
SELECT $_x1$ $ lone dollar; $x $x1 $_x1$;
SELECT $é$ non-ascii tag; $é$;

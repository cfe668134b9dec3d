SELECT U&'d\0061t\+000061; x';
SELECT u&'\\;' ;
SELECT U&'d!0061t;' UESCAPE '!';
SELECT U&"d\0061t;""a" FROM t;

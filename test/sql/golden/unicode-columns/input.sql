-- café 😀 naïve
SELECT 'é😀'; SELECT 'ñ', 2;
/* 😀😀 */ SELECT 3;
SELECT "ü😀;" FROM t; SELECT 4;

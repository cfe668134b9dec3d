/* header /* nested ; */ still ; comment */
SELECT 1 /* a ; /* b ; */ c ; */;
SELECT /**/ 2 /***/;
SELECT 3 +/* glued */ 4;
/* trailing ; comment */

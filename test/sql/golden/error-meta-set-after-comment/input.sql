-- set a variable
  \set ON_ERROR_STOP on
SELECT 1;

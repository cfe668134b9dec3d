-- windows file
SELECT 1;
SELECT 'two
lines';

  SELECT $$
;
$$;

SELECT 1;
SELECT 2; -- done
/* really done ; */
-- bye;

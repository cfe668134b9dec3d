SELECT '😀é'; SELECT 'open

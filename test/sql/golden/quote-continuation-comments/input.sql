SELECT 'a' -- comment between
  'b;';
SELECT E'y'
-- comment
'\';';
SELECT 'a' -- a comment before the newline is allowed
-- so are whole-line comments after it
   'b;';

SELECT B'0101', b'1', X'1F;', x'ff';
SELECT N'national; string', n'it''s';

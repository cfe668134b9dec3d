SELECT 'a'
'b;c';
SELECT E'x'
'\';still one';
SELECT E'x'   	

  '\';' AS crlf_and_blank_lines;
SELECT B'01'
'10;', X'0F'
'F0;';

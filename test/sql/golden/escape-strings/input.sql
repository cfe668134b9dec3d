SELECT E'it\'s; still a string';
SELECT e'back\\', 'next';
SELECT E'\\';
SELECT E'tab\there\n\x41\101\u00e9', E'q''uote;';

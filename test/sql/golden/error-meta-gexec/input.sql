SELECT format('CREATE TABLE %I ()', n) FROM names
\gexec

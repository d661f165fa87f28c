module quote-api

go 1.22

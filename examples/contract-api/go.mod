module contract-api

go 1.22

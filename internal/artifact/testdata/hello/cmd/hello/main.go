// Package main (command hello) is the service the artifact tests build: it prints its
// version, and diffs two strings with go-cmp so the binary links a
// third-party module.
package main

import (
	"fmt"
	"os"

	"github.com/google/go-cmp/cmp"
)

var version = "dev"

func main() {
	if len(os.Args) == 4 && os.Args[1] == "diff" {
		fmt.Print(cmp.Diff(os.Args[2], os.Args[3]))
		return
	}
	fmt.Println("hello", version)
}

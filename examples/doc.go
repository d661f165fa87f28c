// Package examples holds services Slipway ships in its documentation and demo. Each
// service is its own Go module (contract-api is the story's service); this package
// only carries the tests that check the examples and their recorded history.
package examples

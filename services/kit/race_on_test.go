//go:build race

package kit_test

// raceBuild: the tests are built with -race.
const raceBuild = true

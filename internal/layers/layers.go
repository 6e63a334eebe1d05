// Package layers holds, in its test, the floors of the lab's packages: what
// each may link. It has no code of its own.
package layers

package lab

import "errors"

// ErrUnknownInstance is returned by Shop.Do for an instance the shop does not run.
var ErrUnknownInstance = errors.New("lab: unknown instance")

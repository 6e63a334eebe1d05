package kit

import "errors"

// ErrNoInstance is returned by Directory.Pick when no instance of the callee
// has ever registered.
var ErrNoInstance = errors.New("kit: no instance registered")

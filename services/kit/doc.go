// Package kit is what every service of the shop runs on: its HTTP server with
// request ids, metrics and the capacity model; its SQLite file; its link to the
// broker; the registry it announces itself in and discovers its callees from;
// the config bucket it watches; the outbox it publishes events through; and the
// consumers it reads them with.
//
// The shop does not know it is tested: kit imports nothing of the harness. The
// harness talks to the shop only through what kit publishes here (bucket names,
// config keys, route keys) and through HTTP.
//
// The lifecycle of one instance (Run):
//
//  1. open the SQLite file and connect to the broker (through its proxy);
//  2. load the config bucket and start watching it;
//  3. start the directory of callees (registry and routes);
//  4. call the service's Setup, which adds routes and starts workers;
//  5. serve HTTP, register in the registry and heartbeat every second;
//  6. on cancel: deregister, drain HTTP, stop workers, close the broker and
//     the database, in that order.
package kit

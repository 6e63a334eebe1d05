package lab

import "lab/services/contract"

// Broker is the target name of a broker link, and the instance name faults
// and Shop.Do use for the broker.
const Broker = "broker"

// Link is one proxy a shop of some shape needs: from a caller to one instance
// of a service, from a service to the broker, or from the load to a gateway.
type Link struct {
	Name   string // the proxy's name: EdgeProxy or BrokerProxy
	Caller string // a service, or contract.LoadCaller
	Target string // an instance name, or Broker
}

// Routed reports whether the caller learns of this proxy from a route in the
// config bucket (contract.RouteKey(Caller, Target)): true for every edge between
// two services.
func (l Link) Routed() bool { return l.Caller != contract.LoadCaller && l.Target != Broker }

// Front reports whether the link carries the load into a gateway.
func (l Link) Front() bool { return l.Caller == contract.LoadCaller }

// LinksInto lists the proxies into one instance of service: one from
// each service that calls it (and none from the load: a gateway's front
// is made with the shop).
func LinksInto(service, instance string) []Link {
	var out []Link
	for _, caller := range contract.Services {
		for _, callee := range contract.Calls[caller] {
			if callee == service {
				out = append(out, Link{Name: EdgeProxy(caller, instance), Caller: caller, Target: instance})
			}
		}
	}
	return out
}

// Links lists the proxies of shape: every caller to every instance of each
// callee (sorted by caller, then callee as in Calls), every service's broker
// link, then the load's link to each gateway instance.
func Links(shape Shape) []Link {
	var out []Link
	for _, caller := range contract.Services {
		for _, callee := range contract.Calls[caller] {
			for i := 1; i <= shape.ReplicasOf(callee); i++ {
				inst := InstanceName(callee, i)
				out = append(out, Link{Name: EdgeProxy(caller, inst), Caller: caller, Target: inst})
			}
		}
	}
	for _, svc := range contract.Services {
		out = append(out, Link{Name: BrokerProxy(svc), Caller: svc, Target: Broker})
	}
	for i := 1; i <= shape.ReplicasOf("gateway"); i++ {
		inst := InstanceName("gateway", i)
		out = append(out, Link{Name: EdgeProxy(contract.LoadCaller, inst), Caller: contract.LoadCaller, Target: inst})
	}
	return out
}

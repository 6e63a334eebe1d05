package docker

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// createNetwork creates the run's network, lab-<run>, and gives every unit
// a fixed address on it when the subnet has room for all of them.
//
// Fixed addresses, not names: a service dials its proxies, and Toxiproxy
// its upstreams, at an address that no DNS lookup stands between, so an
// instance's restart changes nothing, no lookup adds to a latency the lab
// measures, and none can fail. Podman's DNS (aardvark-dns, reloaded as each
// container starts) dropped lookups made while seven containers started at
// once: Toxiproxy's of "broker" waited out the resolver's 5 s timeout, and
// five services of seven failed to reach the broker through it (i/o
// timeout). The engine picks the subnet, as for any network it creates;
// the network is then made again with that subnet as its own, which is
// what lets containers be given an address in it.
func (b *backend) createNetwork(ctx context.Context, units int) error {
	cli := b.e.cli
	made, err := cli.NetworkCreate(ctx, b.netName, client.NetworkCreateOptions{Driver: "bridge", Labels: b.labels()})
	if err != nil {
		return fmt.Errorf("create network %s: %w", b.netName, err)
	}
	in, err := cli.NetworkInspect(ctx, made.ID, client.NetworkInspectOptions{})
	if err != nil {
		return fmt.Errorf("inspect network %s: %w", b.netName, err)
	}
	var subnet netip.Prefix
	var gateway netip.Addr
	for _, c := range in.Network.IPAM.Config {
		if c.Subnet.Addr().Is4() {
			subnet, gateway = c.Subnet, c.Gateway
			break
		}
	}
	if !subnet.IsValid() || hosts(subnet) < units+2 {
		return nil // names it is: Docker's DNS
	}
	if !gateway.IsValid() {
		gateway = subnet.Masked().Addr().Next()
	}
	if _, err := cli.NetworkRemove(ctx, made.ID, client.NetworkRemoveOptions{}); err != nil {
		return fmt.Errorf("make network %s again: %w", b.netName, err)
	}
	_, err = cli.NetworkCreate(ctx, b.netName, client.NetworkCreateOptions{Driver: "bridge", Labels: b.labels(),
		IPAM: &network.IPAM{Config: []network.IPAMConfig{{Subnet: subnet, Gateway: gateway}}}})
	if err != nil {
		return fmt.Errorf("make network %s again on %s: %w", b.netName, subnet, err)
	}
	b.subnet, b.gateway, b.next = subnet, gateway, subnet.Masked().Addr()
	return nil
}

// hosts is how many addresses of p can be given to containers.
func hosts(p netip.Prefix) int {
	bits := 32 - p.Bits()
	if bits >= 16 {
		return 1 << 16
	}
	return 1<<bits - 2
}

// address returns the next free address of the run's subnet, or an invalid
// one when units go by name.
func (b *backend) address() netip.Addr {
	if !b.subnet.IsValid() {
		return netip.Addr{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		b.next = b.next.Next()
		if b.next != b.gateway {
			return b.next
		}
	}
}

// routable reports whether this host reaches the run's network directly: a
// Linux host whose engine is this machine's, over a socket, and whose
// interfaces hold the network's gateway (the bridge is here). Then the
// load and the harness dial each container's fixed address, with no
// userland proxy (docker-proxy, one process per published port) and no NAT
// on the way; elsewhere (Docker Desktop's VM, an engine over TCP) they go
// through published ports. LAB_DOCKER_PUBLISH=1 asks for published ports.
func (b *backend) routable() bool {
	if runtime.GOOS != "linux" || !b.subnet.IsValid() || !b.e.Local || os.Getenv("LAB_DOCKER_PUBLISH") == "1" {
		return false
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if p, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(p.IP); ok && ip.Unmap() == b.gateway {
				return true
			}
		}
	}
	return false
}

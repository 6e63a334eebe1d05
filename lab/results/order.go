package results

// EndpointRank orders endpoints for people: the built-in journeys' in
// journey order, then any others, then "all".
func EndpointRank(e string) int {
	if n, ok := endpointOrder[e]; ok {
		return n
	}
	return 50
}

var endpointOrder = map[string]int{"browse": 0, "product": 1, "register": 2, "login": 3, "checkout": 4, "order": 5, "all": 99}

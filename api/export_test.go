package api

// RouteInfo is one entry of the route table, for the black-box tests.
type RouteInfo struct {
	Method, Path string
	Roles        []string // nil: public
}

// Routes lists the route table the router serves.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, r := range s.routeTable() {
		out = append(out, RouteInfo{Method: r.Method, Path: r.Path, Roles: r.Roles})
	}
	return out
}

package journey

import _ "embed" // for Schema

// Schema is the JSON Schema (draft 2020-12) of the journey format, for
// editors and API clients. It describes the shape; Parse and Validate also
// check what a schema cannot express (goto targets, reachability, loops,
// conditions, content ids). A test keeps it in step with the Go types.
//
//go:embed journey.schema.json
var Schema []byte

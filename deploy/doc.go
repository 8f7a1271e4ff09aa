// Package deploy holds ripen's deployment files (the Kubernetes manifests in
// kubernetes/; the Dockerfile, .dockerignore and docker-compose.yml live at
// the repository root) and the tests that check them, since no container
// engine or cluster runs where ripen is built: compose is loaded with the
// compose-spec library, every manifest is decoded strictly into the
// Kubernetes API types, and both are checked against ripen's own code
// (subcommands, search attributes, documented environment variables).
//
// It has no code of its own.
package deploy

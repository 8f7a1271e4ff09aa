package console

import (
	"context"

	"github.com/ripen/ripen/store"
)

// Console users are managed by admins through /v1/users (the API checks
// the role); these are the records' use cases. Account owners are not
// console users: they are managed as owners and sign in as sales of their
// own book.

// PutUser creates or replaces a console user; a changed role counts for
// their open sessions at once.
func (s *Service) PutUser(ctx context.Context, u store.ConsoleUser) error {
	return s.store.PutConsoleUser(ctx, u)
}

// GetUser reads a console user.
func (s *Service) GetUser(ctx context.Context, id string) (store.ConsoleUser, error) {
	return s.store.GetConsoleUser(ctx, id)
}

// ListUsers lists one page of console users by ID.
func (s *Service) ListUsers(ctx context.Context, p store.Page) ([]store.ConsoleUser, error) {
	return s.store.ListConsoleUsers(ctx, p)
}

// DeleteUser removes a console user and ends their sessions.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	return s.store.DeleteConsoleUser(ctx, id)
}

package store

import (
	"context"
	"os/user"
)

// Actor is who caused an event and through which door: a person through the cli
// or the api, a git push, or Slipway itself.
type Actor struct {
	// Name is the person (OS user, later a token's name) or "slipway".
	Name string `json:"name"`
	// Via is cli, api, git or slipway.
	Via string `json:"via"`
}

type actorKey struct{}

// WithActor returns ctx carrying a: every event appended under it records who.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// CurrentUser is the OS user running this process, for events a person causes
// from the command line.
func CurrentUser(via string) Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return Actor{Name: name, Via: via}
}

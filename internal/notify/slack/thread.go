package slack

import (
	"context"
	"errors"
	"fmt"

	slackapi "github.com/slack-go/slack"

	"github.com/slipway/slipway/internal/notify"
)

// Start opens an incident's conversation: it creates the message's channel
// (conversations.create; an existing one is reused), posts the summary there and
// returns the thread later updates go under. When a default channel is
// configured, a pointer to the incident channel is posted there too, so people
// who watch deploys see it.
func (n *Notifier) Start(ctx context.Context, m notify.Message) (notify.Thread, error) {
	if err := ctx.Err(); err != nil {
		return notify.Thread{}, fmt.Errorf("slack start %q: %w", m.Title, err)
	}
	if err := m.Validate(); err != nil {
		return notify.Thread{}, fmt.Errorf("slack start: %w", err)
	}
	if m.Channel == "" {
		return notify.Thread{}, fmt.Errorf("slack start %q: the message names no channel to open", m.Title)
	}
	target, err := n.incidentChannel(ctx, m.Channel)
	if err != nil {
		return notify.Thread{}, err
	}
	id, ts, err := n.api.PostMessageContext(ctx, target,
		slackapi.MsgOptionText(fallback(m), false),
		slackapi.MsgOptionBlocks(blocks(m)...))
	if err != nil {
		return notify.Thread{}, callError("chat.postMessage", m.Channel, err)
	}
	th := notify.Thread{Channel: id, ID: ts}
	if n.channel != "" && n.channel != m.Channel {
		pointer := m
		pointer.Text = fmt.Sprintf("%s\nFollow it in %s.", m.Text, m.Channel)
		if err := n.post(ctx, n.channel, pointer); err != nil {
			return th, err
		}
	}
	return th, nil
}

// Reply posts m in the thread (chat.postMessage with thread_ts).
func (n *Notifier) Reply(ctx context.Context, th notify.Thread, m notify.Message) error {
	if err := checkThread(ctx, th, m); err != nil {
		return err
	}
	_, _, err := n.api.PostMessageContext(ctx, th.Channel,
		slackapi.MsgOptionText(fallback(m), false),
		slackapi.MsgOptionBlocks(blocks(m)...),
		slackapi.MsgOptionTS(th.ID))
	if err != nil {
		return callError("chat.postMessage", th.Channel, err)
	}
	return nil
}

// Edit replaces the thread's first message with m (chat.update).
func (n *Notifier) Edit(ctx context.Context, th notify.Thread, m notify.Message) error {
	if err := checkThread(ctx, th, m); err != nil {
		return err
	}
	_, _, _, err := n.api.UpdateMessageContext(ctx, th.Channel, th.ID,
		slackapi.MsgOptionText(fallback(m), false),
		slackapi.MsgOptionBlocks(blocks(m)...))
	if err != nil {
		return callError("chat.update", th.Channel, err)
	}
	return nil
}

func checkThread(ctx context.Context, th notify.Thread, m notify.Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("slack %q: %w", m.Title, err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	if th.Channel == "" || th.ID == "" {
		return errors.New("slack: the thread has no channel or message id: start the conversation first")
	}
	return nil
}

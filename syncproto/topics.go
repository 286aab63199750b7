package syncproto

import (
	"fmt"
	"strings"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// Topic layout. Each outlet may write only under its own .../up/ and read only
// its own .../down/ and the broadcast tree; brokers enforce that by ACL.
//
//	yz/v1/outlets/{outlet}/up/batch    agent → hub   Batch
//	yz/v1/outlets/{outlet}/up/pull     agent → hub   Pull
//	yz/v1/outlets/{outlet}/up/fetch    agent → hub   Fetch (minor 3)
//	yz/v1/outlets/{outlet}/down/ack    hub → agent   Ack
//	yz/v1/outlets/{outlet}/down/events hub → agent   Down
//	yz/v1/outlets/{outlet}/down/own    hub → agent   Own (minor 3)
//	yz/v1/broadcast/poke               hub → all     Poke
const (
	Prefix         = "yz/v1"
	BroadcastPoke  = Prefix + "/broadcast/poke"
	BroadcastTree  = Prefix + "/broadcast/#"
	UplinkWildcard = Prefix + "/outlets/+/up/#"
	// SharedGroup is the shared-subscription group hub replicas join so an
	// external broker splits uplink traffic between them.
	SharedGroup = "yizhan-hub"
)

func outletTopic(outlet, leaf string) string { return Prefix + "/outlets/" + outlet + "/" + leaf }

func UplinkTopic(outlet string) string { return outletTopic(outlet, "up/batch") }
func PullTopic(outlet string) string   { return outletTopic(outlet, "up/pull") }
func AckTopic(outlet string) string    { return outletTopic(outlet, "down/ack") }
func DownTopic(outlet string) string   { return outletTopic(outlet, "down/events") }
func FetchTopic(outlet string) string  { return outletTopic(outlet, "up/fetch") }
func OwnTopic(outlet string) string    { return outletTopic(outlet, "down/own") }

// OutletDownTree is what an outlet subscribes to for its own downlink.
func OutletDownTree(outlet string) string { return outletTopic(outlet, "down/#") }

// SharedUplink is the hub's subscription through a broker that supports
// MQTT shared subscriptions.
func SharedUplink() string { return "$share/" + SharedGroup + "/" + UplinkWildcard }

// ParseUplink returns the outlet and the leaf ("batch", "pull") of an uplink
// topic, or an error if the topic is not one.
func ParseUplink(topic string) (outlet, leaf string, err error) {
	rest, ok := strings.CutPrefix(topic, Prefix+"/outlets/")
	if !ok {
		return "", "", fmt.Errorf("topic %q is not an outlet topic", topic)
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[1] != "up" {
		return "", "", fmt.Errorf("topic %q is not an uplink topic", topic)
	}
	if err := ValidOutletID(parts[0]); err != nil {
		return "", "", err
	}
	return parts[0], parts[2], nil
}

// ValidOutletID checks an outlet id: 1-64 of A-Z a-z 0-9 '-' '_', starting
// with a letter or digit, and not the hub's own origin. Ids become topic
// levels and broker user names, so wildcards and '/' must never get in.
func ValidOutletID(id string) error {
	if id == "" || len(id) > 64 {
		return problem.New(problem.OutletIDLength, "outlet", id)
	}
	for i, r := range id {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case (r == '-' || r == '_') && i > 0:
		default:
			return problem.New(problem.OutletIDChars, "outlet", id)
		}
	}
	if id == HubOrigin {
		return problem.New(problem.OutletIDReserved, "outlet", id)
	}
	return nil
}

package lifecycle

import (
	"encoding/json"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/tariff"
)

// ShipmentAccepted is a parcel taken in for sending at the counter (收寄);
// the subject is its waybill number, issued from the outlet's block.
const ShipmentAccepted = "shipment.accepted"

// IDTypes are the sender identity document types for real-name
// registration (实名收寄): the table's codes of a shipment's
// "sender_id_type".
var IDTypes = codes(shipmentVocab, "sender_id_type")

// ItemTypes are the kinds of contents a shipment declares: the table's
// codes of its "item_type".
var ItemTypes = codes(shipmentVocab, "item_type")

// PartyV1 is a sender or recipient as a shipment records them: personal
// fields sealed, with masked copies for screens and labels.
type PartyV1 struct {
	NameSealed  string `json:"name_sealed"`
	NameMasked  string `json:"name_masked"`
	PhoneSealed string `json:"phone_sealed"`
	PhoneMasked string `json:"phone_masked"`
	Customer    string `json:"customer,omitempty"` // keyed hash of the phone
	// The recipient's address, sealed (field address, the shipment's
	// record); the outlet opens it for the courier's label. Address holds
	// it in clear only in shipments taken before addresses were sealed.
	AddressSealed string `json:"address_sealed,omitempty"`
	Address       string `json:"address,omitempty"`
	DestCode      string `json:"dest_code,omitempty"`
}

// ShipmentV1 is the payload of ShipmentAccepted.
type ShipmentV1 struct {
	Number            string           `json:"number"`
	Sender            PartyV1          `json:"sender"`
	SenderIDType      string           `json:"sender_id_type"`
	SenderIDSealed    string           `json:"sender_id_sealed"`
	SenderIDMasked    string           `json:"sender_id_masked"`
	Recipient         PartyV1          `json:"recipient"`
	ItemType          string           `json:"item_type"`
	Items             string           `json:"items"`
	Packaging         string           `json:"packaging"`          // advice the clerk gave
	ProhibitedVersion string           `json:"prohibited_version"` // the checklist confirmed
	ProhibitedChecked []string         `json:"prohibited_checked"` // item codes confirmed absent
	WeightGrams       int64            `json:"weight_grams"`
	WeightFrom        string           `json:"weight_from"` // scale name, or "manual"
	LengthCm          int64            `json:"length_cm,omitempty"`
	WidthCm           int64            `json:"width_cm,omitempty"`
	HeightCm          int64            `json:"height_cm,omitempty"`
	DeclaredFen       int64            `json:"declared_fen,omitempty"`
	Insured           bool             `json:"insured,omitempty"`
	TariffVersion     string           `json:"tariff_version"`
	Quote             tariff.Quotation `json:"quote"`
	Staff             string           `json:"staff"`
	At                int64            `json:"at"`
}

// FoldShipment folds a shipment's events: its acceptance is all there is.
func FoldShipment(number string, evs []syncproto.Event) ShipmentV1 {
	Order(evs)
	var sh ShipmentV1
	for i := range evs {
		if evs[i].Type == ShipmentAccepted && json.Unmarshal(evs[i].Payload, &sh) == nil {
			break
		}
	}
	return sh
}

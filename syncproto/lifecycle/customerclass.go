package lifecycle

// CustomerClasses is head office telling one outlet the classes of
// customers seen there: the class and nothing else, no figures, so the
// counter can serve as the class asks without learning what is behind it.
// The subject is empty; the target is the outlet. Later events win.
const CustomerClasses = "customer.classes"

// MaxClassesPerEvent bounds one CustomerClasses event's entries, well
// under syncproto.MaxEventBytes.
const MaxClassesPerEvent = 500

// CustomerClassesV1 is the payload of CustomerClasses.
type CustomerClassesV1 struct {
	Classes []CustomerClassV1 `json:"classes"`
	At      int64             `json:"at"`
}

// CustomerClassV1 is one customer's class: the keyed hash of the phone
// (sealed.CustomerID) and one of the eight class ids (important_value …
// general_retain), which the screens word.
type CustomerClassV1 struct {
	Customer string `json:"customer"`
	Class    string `json:"class"`
}

package staff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// Client changes the staff list through a running agent's API
// (AdminRoutes), as the staff command does while the agent holds the data
// file. Its errors are the catalog's, as the agent answered them.
type Client struct {
	URL   string // e.g. http://127.0.0.1:8080
	Token string // the local admin token, or a supervisor's session token
	HTTP  *http.Client
}

// Do sends in as JSON to path with the client's token and decodes the
// answer into out; a refusal comes back as the catalog error the agent
// answered. Other admin clients (API tokens) build on it.
func (c *Client) Do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.URL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if method != http.MethodGet {
		// The agent takes state-changing requests as JSON only, with a
		// body or without.
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		// Hashing a PIN takes a fraction of a second; a minute means the
		// agent is stuck.
		hc = &http.Client{Timeout: time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return problem.Wrap(err, problem.StaffNoAgent, "url", c.URL)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return problem.Wrap(err, problem.StaffNoAgent, "url", c.URL)
	}
	if resp.StatusCode >= 300 {
		var pb problem.Body
		if json.Unmarshal(data, &pb) == nil {
			if code, ok := problem.Lookup(pb.Error.Code); ok {
				kv := make([]any, 0, 2*len(pb.Error.Params))
				for k, v := range pb.Error.Params {
					kv = append(kv, k, v)
				}
				return problem.New(code, kv...)
			}
		}
		return fmt.Errorf("%s %s: HTTP %d: %.200s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func memberPath(id string, action string) string {
	p := "/api/v1/staff/" + url.PathEscape(NormalizeID(id))
	if action != "" {
		p += "/" + action
	}
	return p
}

// Add adds a staff member.
func (c *Client) Add(id, name, role, pin string) error {
	return c.Do(http.MethodPost, "/api/v1/staff", addRequest{ID: id, Name: name, Role: role, PIN: pin}, nil)
}

// Remove deletes a staff member.
func (c *Client) Remove(id string) error {
	return c.Do(http.MethodDelete, memberPath(id, ""), nil, nil)
}

// SetDisabled disables or enables a staff member.
func (c *Client) SetDisabled(id string, disabled bool) error {
	action := "enable"
	if disabled {
		action = "disable"
	}
	return c.Do(http.MethodPost, memberPath(id, action), nil, nil)
}

// Unlock clears a staff member's failure count.
func (c *Client) Unlock(id string) error {
	return c.Do(http.MethodPost, memberPath(id, "unlock"), nil, nil)
}

// SetPIN replaces a staff member's PIN.
func (c *Client) SetPIN(id, pin string) error {
	return c.Do(http.MethodPut, memberPath(id, "pin"), pinRequest{PIN: pin}, nil)
}

// Members lists the staff with their status.
func (c *Client) Members() ([]Member, error) {
	var out membersResponse
	err := c.Do(http.MethodGet, "/api/v1/staff", nil, &out)
	return out.Staff, err
}

package tokens

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

// Client changes the token list through a running agent's API (Routes),
// as the token command does while the agent holds the data file.
type Client struct {
	URL   string // e.g. http://127.0.0.1:8080
	Token string // the local admin token, or a supervisor's session token
	HTTP  *http.Client
}

func (c *Client) do(method, path string, in, out any) error {
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
		// The agent takes state-changing requests as JSON only.
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
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

// Add makes a token and returns its secret.
func (c *Client) Add(name string, scopes []string) (string, Token, error) {
	var out addResponse
	err := c.do(http.MethodPost, "/api/v1/tokens", addRequest{Name: name, Scopes: scopes}, &out)
	return out.Secret, out.Token, err
}

// List returns every token.
func (c *Client) List() ([]Token, error) {
	var out listResponse
	err := c.do(http.MethodGet, "/api/v1/tokens", nil, &out)
	return out.Tokens, err
}

// Revoke deletes a token.
func (c *Client) Revoke(name string) error {
	return c.do(http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(NormalizeName(name)), nil, nil)
}

package tokens

import (
	"net/http"
	"net/url"

	"github.com/yizhan/yizhan/agent/staff"
)

// Client changes the token list through a running agent's API (Routes),
// as the token command does while the agent holds the data file.
type Client struct{ staff.Client }

// Add makes a token and returns its secret.
func (c *Client) Add(name string, scopes []string) (string, Token, error) {
	var out addResponse
	err := c.Do(http.MethodPost, "/api/v1/tokens", addRequest{Name: name, Scopes: scopes}, &out)
	return out.Secret, out.Token, err
}

// List returns every token.
func (c *Client) List() ([]Token, error) {
	var out listResponse
	err := c.Do(http.MethodGet, "/api/v1/tokens", nil, &out)
	return out.Tokens, err
}

// Revoke deletes a token.
func (c *Client) Revoke(name string) error {
	return c.Do(http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(NormalizeName(name)), nil, nil)
}

// Package settings is the one configuration mechanism of both programs. A
// program declares its settings as a struct whose fields hold the defaults;
// settings binds each field to a key of a sectioned TOML file, to an
// optional command-line flag and environment variable, remembers where
// every value came from, refuses what it does not know, and prints the
// result with the sources.
//
// Precedence, highest first: flag, environment variable, file, default. A
// flag given on the command line always wins; an environment variable
// overrides the file, so a secret can stay out of both the file and ps.
//
// Tags on a field of the settings struct:
//
//	toml:"name"        its key in the enclosing table; a struct field is a section, [name]
//	json:"name"        the key when there is no toml tag, so types shared with JSON bind as they are
//	flag:"name"        a flag that overrides it, registered on the program's FlagSet
//	env:"NAME"         an environment variable that overrides the file
//	help:"text"        the flag's usage line
//	settings:"secret"  printed redacted; "url" prints a URL without its password;
//	                   "nofile" refuses the key in a file (environment or flag only)
//
// Keys are matched exactly; a key the struct does not have is an error with
// its line, since a misspelt setting silently ignored is a setting lost.
// Arrays of tables decode into slices of structs, and a json.RawMessage
// field takes a table as JSON, for drivers that parse their own settings.
//
// The package does no I/O: the program reads the file and passes its bytes,
// and passes the environment as a lookup function.
package settings

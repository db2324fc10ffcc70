package process

// Checker validates templates without expanding them; it satisfies
// releasemap.TemplateChecker so `map check` reports template mistakes with
// the map's file and line.
type Checker struct{}

// Command checks a command template, as run with or without a shell.
func (Checker) Command(s string, shell bool) error {
	var err error
	if shell {
		_, err = ParseShellTemplate(s)
	} else {
		_, err = ParseTemplate(s)
	}
	return err
}

// Text checks a templated string.
func (Checker) Text(s string) error {
	_, err := ParseText(s)
	return err
}

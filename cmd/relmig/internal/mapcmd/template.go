package mapcmd

// CheckTemplate validates a runner template for `map check`.
func CheckTemplate(string) error { return nil }

package releasemap

// Open loads the map at path, validates it and puts it in run order: the
// compiled map that planning and running read, in one call. Every problem
// is reported with its file and line; errors wrap ErrInvalid.
func Open(path string, opts ValidateOptions) (*Map, *Sequence, error) {
	m, err := Load(path)
	if err != nil {
		return nil, nil, err
	}
	if err := m.Validate(opts); err != nil {
		return nil, nil, err
	}
	s, err := m.Sequence()
	if err != nil {
		return nil, nil, err
	}
	return m, s, nil
}

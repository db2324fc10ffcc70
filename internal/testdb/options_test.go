package testdb_test

import "go.mongodb.org/mongo-driver/v2/mongo/options"

func optionsUpsertAfter() options.Lister[options.FindOneAndUpdateOptions] {
	return options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
}

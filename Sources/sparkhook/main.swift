print("sparkhook")

print("mle")

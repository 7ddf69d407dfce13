{{ examples_in_split('test') }}

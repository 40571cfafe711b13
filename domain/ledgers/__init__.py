"""Special ledgers (业务台账, 5.1): the eight lists of people a community keeps an eye on."""
